/**
 * A one-line counter on stderr (`\r`-rewritten) for send and consume, shown only when stderr is a
 * terminal: piped or redirected output stays clean for scripts.
 */

/** Redraws at most this often: a fast consumer must not spend its time repainting. */
const REDRAW_MS = 100;

export class Progress {
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly verb: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  /** Shows `count`, throttled. */
  update(count: number): void {
    if (!this.stream.isTTY) return;
    const now = Date.now();
    if (now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.drawn = true;
    this.stream.write(`\r${this.verb} ${count}`);
  }

  /** Clears the line before final output. */
  done(): void {
    if (!this.drawn) return;
    this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
