/**
 * A file written through one reused buffer: text and bytes are copied in, and the buffer goes to the file in one
 * write when it is full. A write stream keeps every chunk it is given (one object per line) until it is written;
 * this keeps one 1 MB buffer, whatever the size of the file.
 */
import { open, type FileHandle } from 'node:fs/promises';

/** Bytes gathered before one write. */
const SIZE = 1 << 20;

/** A file being written, front to back. */
export class FileSink {
  readonly #handle: FileHandle;
  readonly #buffer = Buffer.allocUnsafe(SIZE);
  #used = 0;
  #closed = false;

  private constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  /** Creates (truncates) `path` for writing. */
  static async create(path: string): Promise<FileSink> {
    return new FileSink(await open(path, 'w'));
  }

  /**
   * Appends `data` (text as UTF-8). Returns a promise when the buffer had to go to the file first, else undefined:
   * await it before the next call (`bytes` is read until it settles). A caller that awaits every promise writes
   * exactly what it added, in order.
   */
  add(data: string | Uint8Array): Promise<void> | undefined {
    if (typeof data === 'string') {
      // A UTF-16 unit is at most 3 UTF-8 bytes: below that bound no exact count is needed.
      if (data.length * 3 <= SIZE - this.#used) {
        this.#used += this.#buffer.write(data, this.#used);
        return undefined;
      }
      return this.#addBytes(Buffer.from(data, 'utf8'));
    }
    if (data.length <= SIZE - this.#used) {
      this.#buffer.set(data, this.#used);
      this.#used += data.length;
      return undefined;
    }
    return this.#addBytes(data);
  }

  /** Appends the bytes of the file at `path`, read into this sink's own buffer (no chunk is allocated). */
  async addFile(path: string): Promise<void> {
    const from = await open(path, 'r');
    try {
      for (;;) {
        if (this.#used === SIZE) await this.#flush();
        const { bytesRead } = await from.read(this.#buffer, this.#used, SIZE - this.#used, null);
        if (bytesRead === 0) return;
        this.#used += bytesRead;
      }
    } finally {
      await from.close();
    }
  }

  /** Writes what is buffered and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#flush();
    } finally {
      this.#closed = true;
      await this.#handle.close();
    }
  }

  /** Closes the file without writing what is buffered (after a failure); never rejects. */
  async abort(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close().catch(() => undefined);
  }

  async #addBytes(bytes: Uint8Array): Promise<void> {
    await this.#flush();
    if (bytes.length <= SIZE) {
      this.#buffer.set(bytes, 0);
      this.#used = bytes.length;
      return;
    }
    await this.#write(bytes);
  }

  async #flush(): Promise<void> {
    if (this.#used === 0) return;
    const used = this.#used;
    this.#used = 0;
    await this.#write(this.#buffer.subarray(0, used));
  }

  async #write(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.#handle.write(bytes, done, bytes.length - done);
      done += bytesWritten;
    }
  }
}
