/** The part of sodium-native (libsodium bindings, no bundled types) that Inkan uses. */
declare module 'sodium-native' {
  const sodium: {
    readonly crypto_sign_BYTES: number;
    readonly crypto_sign_SECRETKEYBYTES: number;
    /** A buffer in guarded, locked memory (not swapped, not in the V8 heap). */
    sodium_malloc(size: number): Buffer;
    crypto_sign_detached(signature: Buffer, message: Buffer, secretKey: Buffer): void;
  };
  export default sodium;
}
