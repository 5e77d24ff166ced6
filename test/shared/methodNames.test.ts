import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignmentOf, withRepairVariants } from '../../src/shared/compareReport';

test('each plain method gains its REPAIR variant right after it, and no method is listed twice', () => {
  assert.deepEqual(withRepairVariants(['naive', 'weight']), ['naive', 'naive+repair', 'weight', 'weight+repair']);
  assert.deepEqual(withRepairVariants(['weight', 'weight+repair', 'covariance+repair']), ['weight', 'weight+repair', 'covariance+repair']);
  assert.equal(alignmentOf('activation+repair'), 'activation');
});
