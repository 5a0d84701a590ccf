// The shape jsfuzz wants: a CommonJS module exporting `fuzz(data)`. The parsers are ES
// modules, so the function imports them once and then runs one parser per input. Only
// an exception that is not the parser's own ConfigError is a crash.

export function fuzzTarget(name: string): (data: Buffer) => Promise<void> {
  const ready = import('./parsers.js');
  return async function fuzz(data: Buffer): Promise<void> {
    const { TARGETS, crashOf } = await ready;
    const target = TARGETS.find((t) => t.name === name);
    if (!target) throw new Error(`no fuzz target named ${name}`);
    // Both readings: Latin-1 keeps every byte (as zone files are read), UTF-8 is how the other files are.
    for (const text of [data.toString('latin1'), data.toString('utf8')]) {
      const e = crashOf(target, text);
      if (e !== undefined) throw e;
    }
  };
}
