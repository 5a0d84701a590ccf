// Bounds every configuration parser keeps, so a damaged or hostile file gives a clear
// error in bounded time and memory instead of exhausting the stack or the heap.

/**
 * The deepest `{ … }` nesting (and parenthesised expression nesting) a parser follows.
 * Real files nest a handful of levels (BIND's grammar at most about six, dhcpd.conf's
 * scopes and keepalived's blocks a few more); beyond this the block is reported and
 * skipped without recursion.
 */
export const MAX_NESTING = 100;

/** The message for a block nested deeper than MAX_NESTING. */
export const TOO_DEEP = `blocks nested too deeply (more than ${MAX_NESTING} levels)`;
