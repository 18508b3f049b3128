/**
 * TEST-ONLY fault injection for the key crash tests (INKAN_FAULT_INJECTION, parsed in config.ts).
 * A process started with it SIGKILLs itself at the named point of its first key change, so the
 * tests can prove that a rotation killed at any point leaves a valid state behind:
 *
 * - `kill-before-key-commit`: after the plan is made (new keys generated and sealed), before the
 *   store is called: nothing may be written.
 * - `kill-during-key-commit`: inside the store's transaction, after the key-state version was
 *   bumped and the first row written, before commit: the database must roll all of it back. The
 *   store writes the plan's `upsert` list in order inside its transaction; the list handed to it
 *   here kills the process when the store asks for the element after the first.
 *
 * Never set in production: the process dies on purpose.
 */
import type { FaultInjection } from '../config.js';
import type { KeyChanges, SigningKeyRecord } from '../storage/keys.js';

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL is delivered at once; this only satisfies the type checker.
  throw new Error('SIGKILL did not end the process');
}

/** A copy of `records` whose iteration kills the process once the first element has been handled. */
function dyingList(records: readonly SigningKeyRecord[]): readonly SigningKeyRecord[] {
  const list = [...records];
  Object.defineProperty(list, Symbol.iterator, {
    value: function* iterate(): Generator<SigningKeyRecord> {
      if (list[0] !== undefined) yield list[0];
      die();
    },
  });
  return list;
}

/** The `beforeKeyApply` hook for a configured fault, or undefined when none is configured. */
export function keyFaultHook(fault: FaultInjection | undefined): ((changes: KeyChanges) => KeyChanges) | undefined {
  switch (fault) {
    case undefined:
      return undefined;
    case 'kill-before-key-commit':
      return () => die();
    case 'kill-during-key-commit':
      return (changes) => ({ upsert: dyingList(changes.upsert), remove: changes.remove });
  }
}
