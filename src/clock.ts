/** Time, injected: the domain asks a Clock rather than calling Date.now(), so tests can move it. */
export interface Clock {
  /** Unix time in whole seconds (the unit of every JWT time claim and every stored time). */
  nowSeconds(): number;
}

export const systemClock: Clock = {
  nowSeconds: () => Math.floor(Date.now() / 1000),
};
