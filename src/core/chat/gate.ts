// One task at a time per key: llama-server gets one generation at a time (the pinned build crashed
// on two concurrent generations, see core/verify/runner.ts sideBySide). A failed task does not block
// the next; a task checks its own cancellation when its turn comes.
export class SerialGate {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with a task running or waiting. */
  get busy(): number {
    return this.tails.size;
  }
}
