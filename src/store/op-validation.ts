/**
 * The acceptance rules for StoreOps that every store applies before it stores anything of a batch
 * (the same rules as the journal codec), so all stores refuse the same batches with
 * STORE_INVALID_BATCH. A store with extra limits (the SQL store's column sizes) adds its own.
 */
import type { StoreOp } from './api.js';

export function isSafeId(id: unknown): boolean {
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0;
}

/** Same acceptance rules as the journal codec, so both stores refuse the same batches. */
export function isValidOp(op: StoreOp): boolean {
  switch (op.op) {
    case 'add':
      return (
        isSafeId(op.id) &&
        Array.isArray(op.containers) &&
        op.containers.every((c) => typeof c === 'string') &&
        Number.isInteger(op.priority) &&
        op.priority >= 0 &&
        op.priority <= 255 &&
        typeof op.expiration === 'number' &&
        Buffer.isBuffer(op.data)
      );
    case 'ack':
      return typeof op.container === 'string' && isSafeId(op.id);
    case 'destination-add':
    case 'destination-remove':
      return typeof op.name === 'string';
    case 'subscription-add':
      return typeof op.sub === 'object' && op.sub !== null && typeof op.sub.key === 'string';
    case 'subscription-remove':
      return typeof op.key === 'string';
    case 'producer':
      return typeof op.producer === 'string' && isSafeId(op.seq);
    default:
      return false;
  }
}
