// One word of a zone file's presentation text, with where it was written: what the
// zone lexer (config/) produces and the RDATA codecs (wire/rdata/) read.

export interface ZoneToken {
  /** Text with escapes kept; quoted strings without the quotes. */
  text: string;
  quoted: boolean;
  file: string;
  line: number;
  col: number;
}
