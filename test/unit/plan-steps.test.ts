/**
 * The plan's step messages, for any cluster name the capture schema accepts and any instant:
 * every message parses back with StepMessage, and its SQS FIFO group and deduplication ids are
 * within SQS's rules (1–128 characters of letters, digits and ASCII punctuation) and unique per step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrivalsFor, dedupIdOf, groupOf, PLAN_KINDS, PlanInput, planSteps, queueEntries, StepMessage } from '../../src/pipeline/plan.js';

const SQS_ID = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;
const cluster = fc.stringMatching(/^[A-Za-z0-9._-]{1,63}$/).filter((s) => s !== '.' && s !== '..');
const instant = fc.date({ min: new Date('2020-01-02T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true });

describe('plan steps (property)', () => {
  it('parse back, carry SQS-valid group and deduplication ids, one id per step', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PLAN_KINDS), instant, fc.uniqueArray(cluster, { maxLength: 12 }), (kind, now, clusters) => {
        const steps = planSteps(kind, now, clusters);
        for (const s of steps) {
          expect(StepMessage.parse(JSON.parse(JSON.stringify(s)))).toEqual(s);
          expect(groupOf(s)).toMatch(SQS_ID);
          expect(dedupIdOf(s)).toMatch(SQS_ID);
        }
        expect(new Set(steps.map(dedupIdOf)).size).toBe(steps.length);
        expect(queueEntries(steps).flat().map((e) => e.MessageBody)).toEqual(steps.map((s) => JSON.stringify(s)));
      }),
    );
  });

  it('a compact run handles exactly the hour before its own; daily and maintain the 25 arrival hours of the day before', () => {
    fc.assert(
      fc.property(instant, (now) => {
        const [arrival] = arrivalsFor('compact', now);
        const start = Date.parse(`${arrival}:00:00Z`);
        expect(now.getTime() - start).toBeGreaterThanOrEqual(3_600_000);
        expect(now.getTime() - start).toBeLessThan(7_200_000);
        const day = arrivalsFor('daily', now);
        expect(day).toHaveLength(25);
        const dayStart = Date.parse(`${day[0]}:00:00Z`);
        expect(now.getTime() - dayStart).toBeGreaterThanOrEqual(86_400_000);
        expect(now.getTime() - dayStart).toBeLessThan(2 * 86_400_000);
      }),
    );
  });

  it('refuses an input that is not {steps, time}', () => {
    expect(PlanInput.safeParse({ steps: 'compact', time: '2026-11-30T06:10:00Z' }).success).toBe(true);
    expect(PlanInput.safeParse({ steps: 'everything', time: '2026-11-30T06:10:00Z' }).success).toBe(false);
    expect(PlanInput.safeParse({ 'detail-type': 'Scheduled Event', time: '2026-11-30T06:10:00Z' }).success).toBe(false);
  });
});
