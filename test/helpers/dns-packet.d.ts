// dns-packet ships no types; tests use it only as an independent decoder/encoder
// to cross-check our codec, so an untyped (any) module is acceptable here.
declare module 'dns-packet';
