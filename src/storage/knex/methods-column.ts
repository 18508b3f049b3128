/**
 * RFC 8176 method lists (`pwd otp`) as one space-separated text column (migration 0017): the
 * sessions, codes, refresh families and pending requests keep them the same way.
 */
export function methodsFromColumn(value: string | null | undefined): string[] {
  return (value ?? '').split(' ').filter((method) => method !== '');
}

export function methodsToColumn(methods: readonly string[]): string {
  return methods.join(' ');
}
