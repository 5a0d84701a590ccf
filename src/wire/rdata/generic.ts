// The signal a codec gives when valid RDATA has no presentation form but RFC 3597's.

import { RdataError } from './codec.js';

/** Valid data that has no presentation form but RFC 3597's (an unknown version or format). */
export class GenericOnly extends RdataError {
  constructor() {
    super('generic');
    this.name = 'GenericOnly';
  }
}
