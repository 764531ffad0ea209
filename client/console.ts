// The console's progressive enhancement (bundled by esbuild into dist/console/console.js). The
// pages work without it: every move is also a form. With it, the board takes drag and drop and
// arrow keys, and follows changes live over server-sent events.

const board = document.getElementById('board');
const csrf = document.body.dataset.csrf ?? '';
const announcer = document.getElementById('announce');

function announce(text: string): void {
  if (announcer !== null) announcer.textContent = text;
}

/** The board's message line: a move's outcome, and for a stale card what changed. */
function showMessage(text: string, isError: boolean): HTMLElement | null {
  if (board === null) return null;
  let message = document.getElementById('board-message');
  if (message === null) {
    message = document.createElement('div');
    message.id = 'board-message';
    board.before(message);
  }
  message.className = isError ? 'error' : 'ok';
  message.setAttribute('role', isError ? 'alert' : 'status');
  message.replaceChildren();
  const line = document.createElement('p');
  line.textContent = text;
  message.append(line);
  return message;
}

function columns(): HTMLElement[] {
  return board === null ? [] : [...board.querySelectorAll<HTMLElement>('.column[data-status]')];
}

function cardOf(id: string): HTMLElement | null {
  return board?.querySelector<HTMLElement>(`.card[data-story="${CSS.escape(id)}"]`) ?? null;
}

function cardsOf(id: string): HTMLElement[] {
  return board === null
    ? []
    : [...board.querySelectorAll<HTMLElement>(`.card[data-story="${CSS.escape(id)}"]`)];
}

function updateCounts(): void {
  for (const column of columns()) {
    const count = column.querySelectorAll('.card').length;
    const badge = column.querySelector('.n');
    if (badge !== null) badge.textContent = String(count);
  }
}

/** Fetches the card as the server renders it now and puts it in its column (or removes it). */
async function refreshCard(id: string, focus = false): Promise<void> {
  const response = await fetch(`/cards/${encodeURIComponent(id)}${location.search}`, {
    headers: { accept: 'text/html' },
    credentials: 'same-origin',
  });
  if (response.status === 404 || response.status === 204) {
    for (const card of cardsOf(id)) card.remove();
    updateCounts();
    return;
  }
  if (!response.ok) return;
  const template = document.createElement('template');
  template.innerHTML = (await response.text()).trim();
  const fresh = template.content.firstElementChild as HTMLElement | null;
  if (fresh === null) return;
  // Two refreshes of one card may cross (the move's answer and the live event): the newer
  // version wins, and the card is never shown twice.
  const existing = cardsOf(id);
  const shownVersion = Math.max(0, ...existing.map((card) => Number(card.dataset.version ?? 0)));
  if (shownVersion > Number(fresh.dataset.version ?? 0)) return;
  const column = columns().find((candidate) => candidate.dataset.status === fresh.dataset.in);
  const list = column?.querySelector('.cards');
  const hadFocus = focus || existing.some((card) => card.contains(document.activeElement));
  for (const card of existing) card.remove();
  if (list === null || list === undefined) return;
  const next = [...list.querySelectorAll<HTMLElement>('.card')].find(
    (card) => (card.dataset.story ?? '') > id,
  );
  list.insertBefore(fresh, next ?? null);
  updateCounts();
  if (hadFocus) fresh.focus();
}

interface FieldChange {
  field: string;
  before: string;
  after: string;
}

interface MoveAnswer {
  ok: boolean;
  code?: string;
  detail?: string;
  allowed?: string[];
  status?: string;
  version?: number;
  /** A stale card: the move asked for, what changed since the card was loaded, and by whom. */
  to?: string;
  changes?: FieldChange[];
  changedBy?: string[];
}

async function move(card: HTMLElement, to: string): Promise<void> {
  const id = card.dataset.story ?? '';
  const response = await fetch(`/story/${encodeURIComponent(id)}/move`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      'x-csrf-token': csrf,
    },
    body: JSON.stringify({ to, version: card.dataset.version ?? '' }),
  });
  const answer = (await response.json().catch(() => ({ ok: false }))) as MoveAnswer;
  if (answer.ok) {
    showMessage(`Moved ${id} to ${to}.`, false);
    announce(`Moved ${id} to ${to}.`);
  } else if (answer.code === 'precondition-failed') {
    showStale(id, answer);
  } else {
    const allowed = answer.allowed ?? [];
    const text = `${answer.detail ?? `Could not move ${id}.`} Allowed moves: ${allowed.length === 0 ? 'none' : allowed.join(', ')}.`;
    showMessage(text, true);
    announce(text);
  }
  await refreshCard(id, true);
}

/**
 * A card that changed since the board was loaded: what changed (field, was, now), and a button
 * to make the same move on the current version when the workflow still allows it.
 */
function showStale(id: string, answer: MoveAnswer): void {
  const text = answer.detail ?? `${id} changed since the board was loaded.`;
  const message = showMessage(text, true);
  announce(text);
  if (message === null) return;
  const changes = answer.changes ?? [];
  if (changes.length > 0) {
    const table = document.createElement('table');
    table.className = 'changes';
    const caption = table.createCaption();
    const by = answer.changedBy ?? [];
    caption.textContent = `Changed since you loaded it${by.length === 0 ? '' : ` (by ${by.join(', ')})`}`;
    const head = table.createTHead().insertRow();
    for (const title of ['field', 'was', 'now']) {
      const cell = document.createElement('th');
      cell.scope = 'col';
      cell.textContent = title;
      head.append(cell);
    }
    const body = table.createTBody();
    for (const change of changes) {
      const row = body.insertRow();
      row.dataset.field = change.field;
      const name = document.createElement('th');
      name.scope = 'row';
      name.textContent = change.field;
      row.append(name);
      row.insertCell().textContent = change.before;
      row.insertCell().textContent = change.after;
    }
    message.append(table);
  }
  const to = answer.to ?? '';
  if (to !== '' && to !== answer.status && (answer.allowed ?? []).includes(to)) {
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.className = 'retry';
    retry.textContent = `Move to ${to} anyway (version ${answer.version ?? '?'})`;
    retry.addEventListener('click', () => {
      // The card was fetched again after the refusal: it carries the current version.
      const card = cardOf(id);
      if (card !== null) void move(card, to);
    });
    message.append(retry);
  } else {
    const line = document.createElement('p');
    line.textContent =
      to === answer.status
        ? `It is already ${to}.`
        : `From ${answer.status ?? 'there'} it may move to: ${(answer.allowed ?? []).join(', ') || 'nowhere'}.`;
    message.append(line);
  }
}

function targetsOf(card: HTMLElement): string[] {
  return (card.dataset.targets ?? '').split(' ').filter((target) => target !== '');
}

function enhanceBoard(root: HTMLElement): void {
  root.addEventListener('dragstart', (event) => {
    const card = (event.target as HTMLElement).closest<HTMLElement>('.card');
    if (card === null || event.dataTransfer === null) return;
    event.dataTransfer.setData('text/plain', card.dataset.story ?? '');
    event.dataTransfer.effectAllowed = 'move';
  });
  root.addEventListener('dragover', (event) => {
    if ((event.target as HTMLElement).closest('.column') !== null) event.preventDefault();
  });
  root.addEventListener('drop', (event) => {
    const column = (event.target as HTMLElement).closest<HTMLElement>('.column');
    const id = event.dataTransfer?.getData('text/plain') ?? '';
    const card = cardOf(id);
    if (column === null || card === null) return;
    event.preventDefault();
    const to = column.dataset.status ?? '';
    if (to !== card.dataset.in) void move(card, to);
  });
  root.addEventListener('keydown', (event) => {
    const card = event.target as HTMLElement;
    if (!card.classList.contains('card') || card.getAttribute('draggable') !== 'true') return;
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
    event.preventDefault();
    const order = columns().map((column) => column.dataset.status ?? '');
    const here = order.indexOf(card.dataset.in ?? '');
    const step = event.key === 'ArrowRight' ? 1 : -1;
    const allowed = targetsOf(card);
    for (let index = here + step; index >= 0 && index < order.length; index += step) {
      const status = order[index] ?? '';
      if (allowed.includes(status)) {
        void move(card, status);
        return;
      }
    }
    const text = `${card.dataset.story} cannot move further ${step > 0 ? 'right' : 'left'}. Allowed moves: ${allowed.join(', ') || 'none'}.`;
    showMessage(text, true);
    announce(text);
  });
}

function followChanges(root: HTMLElement): void {
  const url = root.dataset.live;
  if (url === undefined || typeof EventSource === 'undefined') return;
  const source = new EventSource(url);
  source.addEventListener('open', () => {
    document.body.dataset.live = 'open';
  });
  source.addEventListener('error', () => {
    // A dropped connection is retried by the browser; a refused one (the session ended, e.g.
    // the server restarted: sessions live in its memory) is not.
    if (source.readyState === EventSource.CLOSED) {
      document.body.dataset.live = 'closed';
      showMessage('Live updates stopped (your session may have ended): reload the page.', true);
    } else {
      document.body.dataset.live = 'reconnecting';
    }
  });
  source.addEventListener('story', (event) => {
    try {
      const { story } = JSON.parse((event as MessageEvent<string>).data) as { story: string };
      void refreshCard(story);
    } catch {
      // Not an event of ours: ignored.
    }
  });
}

// Search inside a long text (a delivery's payload): every match marked, the first in view.
for (const input of document.querySelectorAll<HTMLInputElement>('input[data-search]')) {
  const target = document.getElementById(input.dataset.search ?? '');
  const count = document.querySelector(`[data-search-count="${input.dataset.search ?? ''}"]`);
  if (target === null) continue;
  const original = target.textContent ?? '';
  input.addEventListener('input', () => {
    const query = input.value;
    target.replaceChildren();
    if (query === '') {
      target.textContent = original;
      if (count !== null) count.textContent = '';
      return;
    }
    const lower = original.toLowerCase();
    const needle = query.toLowerCase();
    let from = 0;
    let found = 0;
    for (
      let at = lower.indexOf(needle);
      at !== -1 && found < 1000;
      at = lower.indexOf(needle, from)
    ) {
      target.append(document.createTextNode(original.slice(from, at)));
      const mark = document.createElement('mark');
      mark.textContent = original.slice(at, at + query.length);
      target.append(mark);
      from = at + query.length;
      found++;
    }
    target.append(document.createTextNode(original.slice(from)));
    if (count !== null) count.textContent = `${found}${found === 1000 ? '+' : ''} matches`;
    target.querySelector('mark')?.scrollIntoView({ block: 'center' });
  });
}

// "Copy" next to a secret shown once (the tokens page).
document.addEventListener('click', (event) => {
  const button = (event.target as HTMLElement).closest<HTMLElement>('[data-copy]');
  const source = button === null ? null : document.getElementById(button.dataset.copy ?? '');
  if (button === null || source === null) return;
  void navigator.clipboard.writeText(source.textContent ?? '').then(
    () => announce('Copied.'),
    () => announce('Could not copy: select the text and copy it.'),
  );
});

if (board !== null) {
  enhanceBoard(board);
  followChanges(board);
}
