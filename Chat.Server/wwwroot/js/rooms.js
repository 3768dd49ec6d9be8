// What the page knows of each of the user's rooms: the messages it holds (a run of consecutive seqs, from the
// oldest page read back to the latest), the room's latest seq and the user's read marker (for the unread count),
// and the user's own sends still waiting for their ack. No DOM here: app.js draws it.

export class Room {
  constructor(name) {
    this.name = name;
    /** The room's latest seq as far as this page knows (pushes, acks, the rooms list). */
    this.lastSeq = 0;
    /** The user's read marker: it only grows (section 5.3). */
    this.readSeq = 0;
    /** Messages by seq, consecutive from oldestSeq to newestSeq once loaded. */
    this.messages = new Map();
    this.loaded = false;
    this.hasOlder = false;
    /** The user's sends in this room not yet acked, or refused: id -> {id, body, error}. */
    this.outbox = new Map();
    /** Members online now (from who, then presence pushes). */
    this.online = new Set();
  }

  get unread() {
    return Math.max(0, this.lastSeq - this.readSeq);
  }

  get newestSeq() {
    return this.loaded ? Math.max(0, ...this.messages.keys()) : 0;
  }

  get oldestSeq() {
    return this.messages.size === 0 ? this.newestSeq + 1 : Math.min(...this.messages.keys());
  }

  /** Messages in seq order. */
  ordered() {
    return [...this.messages.values()].sort((a, b) => a.seq - b.seq);
  }

  seen(seq) {
    this.lastSeq = Math.max(this.lastSeq, seq);
  }

  markRead(seq) {
    this.readSeq = Math.max(this.readSeq, seq);
  }

  /**
   * A pushed message: "added" when it is the next one, "old" when held already, "gap" when messages came in between
   * that this page has not got (read them with sync first), "unloaded" when the room's history is not held.
   */
  accept(message) {
    this.seen(message.seq);
    this.outbox.delete(message.id);
    if (!this.loaded) {
      return 'unloaded';
    }

    if (this.messages.has(message.seq) || message.seq <= this.newestSeq) {
      return 'old';
    }

    if (this.messages.size > 0 && message.seq !== this.newestSeq + 1) {
      return 'gap';
    }

    this.messages.set(message.seq, message);
    return 'added';
  }

  /** Messages read with history or sync: kept, whatever order they came in. */
  add(messages) {
    for (const message of messages) {
      this.messages.set(message.seq, message);
      this.seen(message.seq);
      this.outbox.delete(message.id);
    }
  }
}
