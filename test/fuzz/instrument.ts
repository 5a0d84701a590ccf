// Loaded with `node --import` into the fuzz worker: registers the instrumenting loader hooks.
import { register } from 'node:module';

register('./instrument-hooks.js', import.meta.url);
