// The group commit of bench/ingest.ts's storing references: requests wait while one batch is
// with the writer thread; when the thread answers (one result per request, in order), the next
// batch (all that gathered meanwhile) goes, and then the answered requests get their answers.
import type { Worker } from 'node:worker_threads';

export function groupCommit<Item, Result>(
  writer: Worker,
  toMessage: (batch: Item[]) => unknown,
  answer: (item: Item, result: Result) => void,
): (item: Item) => void {
  let waiting: Item[] = [];
  let committing: Item[] | null = null;
  const commitWaiting = () => {
    if (committing !== null || waiting.length === 0) return;
    committing = waiting;
    waiting = [];
    writer.postMessage(toMessage(committing));
  };
  writer.on('message', (results: Result[]) => {
    const answered = committing ?? [];
    committing = null;
    commitWaiting();
    answered.forEach((item, index) => {
      answer(item, results[index] as Result);
    });
  });
  return (item) => {
    waiting.push(item);
    commitWaiting();
  };
}
