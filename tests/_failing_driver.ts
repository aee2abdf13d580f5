/**
 * Fault injection for apply tests: a simulator that refuses one chosen operation, as a kernel
 * would refuse a request (the rest go through to the simulator).
 */
import type { Driver } from "../src/drivers/driver.ts";
import type { SimDriver } from "../src/drivers/sim/driver.ts";
import { KernelError } from "../src/errors.ts";
import type { Operation } from "../src/model/operations.ts";

/** Refuses its `failAt`-th operation (counted from 0) with ENOBUFS. */
export class FailingDriver implements Driver {
  readonly name = "failing";
  readonly description = "a simulator that refuses one step";
  #count = 0;
  constructor(readonly inner: SimDriver, readonly failAt: number) {}
  observe() {
    return this.inner.observe();
  }
  execute(operation: Operation): Promise<void> {
    if (this.#count++ === this.failAt) {
      return Promise.reject(new KernelError("ENOBUFS", "Injected failure"));
    }
    return this.inner.execute(operation);
  }
  snapshot() {
    return this.inner.snapshot();
  }
}
