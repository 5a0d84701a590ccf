// Diagnostics shared by every configuration parser: file:line:col, the offending
// line and a caret under the column, in the spirit of `named-checkconf` and `dhcpd -t`.

export type Severity = 'error' | 'warning';

export interface Position {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
}

export interface Diagnostic extends Position {
  severity: Severity;
  message: string;
  /** The full text of the offending line, for the caret display. */
  lineText?: string;
}

/** Thrown by parsers for a mistake they cannot recover from; carries its position. */
export class ConfigError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => formatDiagnostic(d)).join('\n'));
    this.name = 'ConfigError';
    this.diagnostics = diagnostics;
  }
}

/** The most of a line a diagnostic quotes: a long line is cut around the column, marked with `…`. */
const MAX_QUOTED = 160;

/** Renders `file:line:col: severity: message`, then the line and a caret. */
export function formatDiagnostic(d: Diagnostic): string {
  const head = `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`;
  if (d.lineText === undefined) return head;
  let caret = Math.max(0, d.col - 1);
  let text = d.lineText;
  if (text.length > MAX_QUOTED) {
    const from = Math.max(0, Math.min(caret - MAX_QUOTED / 2, text.length - MAX_QUOTED));
    text = (from > 0 ? '…' : '') + text.slice(from, from + MAX_QUOTED) + (from + MAX_QUOTED < text.length ? '…' : '');
    caret = caret - from + (from > 0 ? 1 : 0);
  }
  text = text.replace(/\t/g, ' ');
  return `${head}\n    ${text}\n    ${' '.repeat(caret)}^`;
}

/** Collects diagnostics while a parser recovers and keeps going, so every error of a file is reported. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  private sources = new Map<string, string[]>();

  /** Registers file text so diagnostics can quote the offending line. */
  addSource(file: string, text: string): void {
    this.sources.set(file, text.split(/\r?\n/));
  }

  report(severity: Severity, pos: Position, message: string): void {
    const lines = this.sources.get(pos.file);
    const lineText = lines ? lines[pos.line - 1] : undefined;
    this.items.push({ severity, message, file: pos.file, line: pos.line, col: pos.col, lineText });
  }

  error(pos: Position, message: string): void {
    this.report('error', pos, message);
  }

  warning(pos: Position, message: string): void {
    this.report('warning', pos, message);
  }

  get errors(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'error');
  }

  get warnings(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'warning');
  }

  hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  /** Throws a ConfigError with every error collected so far, if there is any. */
  throwIfErrors(): void {
    const errs = this.errors;
    if (errs.length > 0) throw new ConfigError(errs);
  }
}
