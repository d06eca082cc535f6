/** Keeps a stream's bytes up to a cap and remembers whether it was cut. */
export class OutputSink {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  /** Keeps bytes up to the cap; returns false once the cap is passed. */
  push(chunk: Buffer): boolean {
    if (this.truncated) return false;
    const room = this.cap - this.bytes;
    if (chunk.length > room) {
      this.chunks.push(chunk.subarray(0, room));
      this.bytes = this.cap;
      this.truncated = true;
      return false;
    }
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    return true;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
