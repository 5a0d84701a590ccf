// Compares what `dig` printed for the same question asked of BIND and of Triad:
// rcode, opcode, flags, counts, the EDNS pseudo-section (server cookie masked),
// the three sections as sets of whitespace-normalized lines, and the message size.

export interface DigParsed {
  status: string;
  opcode: string;
  flags: string;
  counts: string;
  edns: string[];
  answer: string[];
  authority: string[];
  additional: string[];
  size: string;
}

export function parseDig(out: string): DigParsed {
  const p: DigParsed = { status: '', opcode: '', flags: '', counts: '', edns: [], answer: [], authority: [], additional: [], size: '' };
  let section = '';
  for (const line of out.split('\n')) {
    let m = /status: (\S+),/.exec(line);
    if (m) {
      p.status = m[1];
      p.opcode = /opcode: (\S+),/.exec(line)?.[1] ?? '';
      continue;
    }
    m = /^;; flags:([^;]*);(.*)$/.exec(line);
    if (m) {
      p.flags = m[1].trim().split(/\s+/).sort().join(' ');
      p.counts = m[2].trim();
      continue;
    }
    if (/^; (EDNS|EDE|COOKIE|NSID)/.test(line)) {
      p.edns.push(line.replace(/COOKIE: [0-9a-f]+/, 'COOKIE: <cookie>'));
      continue;
    }
    m = /^;; (ANSWER|AUTHORITY|ADDITIONAL|QUESTION) SECTION:/.exec(line);
    if (m) {
      section = m[1];
      continue;
    }
    m = /^;; MSG SIZE\s+rcvd: (\d+)/.exec(line);
    if (m) p.size = m[1];
    if (line.trim() === '' || line.startsWith(';')) {
      if (line.trim() === '') section = '';
      continue;
    }
    const norm = line.trim().split(/\s+/).join(' ');
    if (section === 'ANSWER') p.answer.push(norm);
    else if (section === 'AUTHORITY') p.authority.push(norm);
    else if (section === 'ADDITIONAL') p.additional.push(norm);
  }
  p.answer.sort();
  p.authority.sort();
  p.additional.sort();
  return p;
}

const HEADER: (keyof DigParsed)[] = ['status', 'opcode', 'flags', 'counts', 'edns'];
const ALL: (keyof DigParsed)[] = [...HEADER, 'answer', 'authority', 'additional', 'size'];

/**
 * The differences, one `what: bind / triad` entry each; empty when the answers agree.
 * `countsOnly` compares the header, counts and EDNS but not the records (for answers
 * whose order or choice of records may differ, such as round-robin).
 */
export function digDiff(bind: DigParsed, triad: DigParsed, countsOnly = false): string[] {
  const out: string[] = [];
  for (const k of countsOnly ? HEADER : ALL) {
    const a = JSON.stringify(bind[k]);
    const b = JSON.stringify(triad[k]);
    if (a !== b) out.push(`${k}:\n    bind:  ${a}\n    triad: ${b}`);
  }
  return out;
}
