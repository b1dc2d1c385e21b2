/**
 * The ClientRequestToken of a step's statement (src/query/athena.ts statementToken, scoped by
 * src/pipeline/plan.ts stepScope): the same delivery of the same step gives the same token (a
 * redelivered message re-attaches to its query); another step, statement, occurrence or generation
 * gives another. Athena takes tokens of 32 to 128 characters.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stepScope, stepWaitMs, type StepMessage } from '../../src/pipeline/plan.js';
import { statementToken } from '../../src/query/athena.js';

const daily: StepMessage = { step: 'daily', dt: '2026-06-26', cluster: 'it' };
const SQL = "MERGE INTO trends_daily AS t USING (SELECT 1) AS s ON t.dt = '2026-06-26'";

describe('step statement tokens', () => {
  it('stable per (step, message, statement): the same inputs give the same token, 64 hex characters', () => {
    const a = statementToken(stepScope(daily, 'm-1'), SQL, 0, 0);
    expect(statementToken(stepScope({ ...daily }, 'm-1'), SQL, 0, 0)).toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('distinct across steps (kind, day, hour, cluster), messages, statements, occurrences and generations', () => {
    const steps: StepMessage[] = [
      daily,
      { step: 'daily', dt: '2026-06-27', cluster: 'it' },
      { step: 'daily', dt: '2026-06-26', cluster: 'prod' },
      { step: 'optimize', dt: '2026-06-26', cluster: 'it' },
      { step: 'compact', arrival: '2026-06-26T10', cluster: 'it' },
      { step: 'compact', arrival: '2026-06-26T11', cluster: 'it' },
      { step: 'vacuum', table: 'samples' },
    ];
    const tokens = [
      ...steps.map((s) => statementToken(stepScope(s, 'm-1'), SQL, 0, 0)),
      statementToken(stepScope(daily, 'm-2'), SQL, 0, 0),
      statementToken(stepScope(daily, 'm-1'), `${SQL} `, 0, 0),
      statementToken(stepScope(daily, 'm-1'), SQL, 1, 0),
      statementToken(stepScope(daily, 'm-1'), SQL, 0, 1),
    ];
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('any scope and statement give a token Athena accepts (32-128 characters)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.nat(), fc.nat(), (scope, sql, occ, gen) => {
        const t = statementToken(scope, sql, occ, gen);
        return t.length >= 32 && t.length <= 128 && t === statementToken(scope, sql, occ, gen);
      }),
    );
  });

  it('the poll budget: ATHENA_STEP_WAIT_SECONDS, 60 s by default, positive', () => {
    expect(stepWaitMs({})).toBe(60_000);
    expect(stepWaitMs({ ATHENA_STEP_WAIT_SECONDS: '45' })).toBe(45_000);
    expect(() => stepWaitMs({ ATHENA_STEP_WAIT_SECONDS: '0' })).toThrow('ATHENA_STEP_WAIT_SECONDS');
    expect(() => stepWaitMs({ ATHENA_STEP_WAIT_SECONDS: 'soon' })).toThrow('ATHENA_STEP_WAIT_SECONDS');
  });
});
