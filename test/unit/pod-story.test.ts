import { describe, expect, it } from 'vitest';
import { isSimilarPodName } from '../../src/reports/pod-story.js';

const similar = (typed: string, seen: string): boolean => {
  const [tn, tp] = typed.split('/') as [string, string];
  const [sn, sp] = seen.split('/') as [string, string];
  return isSimilarPodName({ namespace: tn, pod: tp }, { namespace: sn, pod: sp });
};

describe('isSimilarPodName: what `memgap explain` offers when the typed pod has no capture', () => {
  it('a stale ReplicaSet hash or pod suffix finds the same Deployment', () => {
    expect(similar('shop/orders-api-6d9f', 'shop/orders-api-6f5d4-k8j2m')).toBe(true);
    expect(similar('shop/orders-api-6f5d4-aaaaa', 'shop/orders-api-6f5d4-k8j2m')).toBe(true);
    expect(similar('shop/orders-api-7b8c9-p4l5n', 'shop/orders-api-6f5d4-k8j2m')).toBe(true);
  });
  it('a prefix finds what starts with it; the right name in another namespace is offered', () => {
    expect(similar('batch/etl-nightly', 'batch/etl-nightly-28f7x')).toBe(true);
    expect(similar('shop/session-cache', 'shop/session-cache-0')).toBe(true);
    expect(similar('default/indexer-0', 'search/indexer-0')).toBe(true);
  });
  it('another workload that only shares a first word is not offered, nor the very pod typed', () => {
    expect(similar('shop/orders-api-6d9f', 'shop/orders-worker-5c6b7-x2x9q')).toBe(false);
    expect(similar('shop/orders-api-6d9f-abcde', 'shop/orders-5c6b7-x2x9q')).toBe(false);
    expect(similar('shop/payments-api-5d6e7-q9r8s', 'shop/catalog-api-7b8c9-p4l5n')).toBe(false);
    expect(similar('shop/orders-api-6f5d4-k8j2m', 'shop/orders-api-6f5d4-k8j2m')).toBe(false);
  });
});
