// The protocol view, for people experimenting with the protocol: every frame in and out with its time, each event's
// round trip from its send to its reply, the server's own timings when it has them on (Chat:Timings), and a box to
// send a raw frame of one's own.

const Kept = 500;

export class ProtocolView {
  constructor(list, form, input) {
    this.list = list;
    this.connection = null;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      try {
        this.connection?.sendRaw(input.value);
      } catch (error) {
        this.#add('note', `not sent: ${error.message}`);
      }
    });
  }

  /** One frame: {direction: in | out, text, frame, roundTripMs}. */
  record({ direction, text, frame, roundTripMs }) {
    const notes = [];
    if (roundTripMs !== undefined) {
      notes.push(`round trip ${roundTripMs.toFixed(1)} ms`);
    }

    if (frame?.timings) {
      const t = frame.timings;
      notes.push(`server ${t.totalUs} µs (commit ${t.commitUs} µs, batch of ${t.batchSize})`);
    }

    this.#add(direction, text, notes.join(' · '));
  }

  #add(kind, text, note = '') {
    const item = document.createElement('li');
    item.className = `frame ${kind}`;
    const time = document.createElement('time');
    const now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = now.toISOString().slice(11, 23);
    const arrow = document.createElement('span');
    arrow.className = 'direction';
    arrow.textContent = kind === 'in' ? '←' : kind === 'out' ? '→' : '·';
    arrow.title = kind === 'in' ? 'from the server' : kind === 'out' ? 'to the server' : '';
    const body = document.createElement('code');
    body.textContent = text;
    item.append(time, arrow, body);
    if (note) {
      const extra = document.createElement('span');
      extra.className = 'note';
      extra.textContent = note;
      item.append(extra);
    }

    const follow = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    this.list.append(item);
    while (this.list.childElementCount > Kept) {
      this.list.firstElementChild.remove();
    }

    if (follow) {
      this.list.scrollTop = this.list.scrollHeight;
    }
  }
}
