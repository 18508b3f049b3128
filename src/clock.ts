/** Time, injected: the domain asks a Clock rather than calling Date.now(), so tests can move it. */
export interface Clock {
  /** Unix time in whole seconds (the unit of every JWT time claim and every stored time). */
  nowSeconds(): number;
}

export const systemClock: Clock = {
  nowSeconds: () => Math.floor(Date.now() / 1000),
};

/**
 * Resolves once `clock` reads `seconds`. It wakes just after each whole second of the system
 * clock (every Clock here counts whole seconds in step with it), so a wait for a second ends
 * within milliseconds of that second's start rather than up to a second late.
 */
export async function sleepUntil(clock: Clock, seconds: number): Promise<void> {
  while (clock.nowSeconds() < seconds) {
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
  }
}
