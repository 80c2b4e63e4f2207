/**
 * The output writer's worker (see ./run_writer.ts): runs a training run's output jobs off the training
 * thread, in order, and posts each outcome back.
 *
 * @module
 */

import { JobQueue, type JobReply, type OutputJob } from "./output_jobs.ts";

const scope = self as unknown as {
  postMessage(message: JobReply): void;
  onmessage: ((event: MessageEvent<{ id: number; job: OutputJob }>) => void) | null;
};
const queue = new JobQueue((reply) => scope.postMessage(reply));
scope.onmessage = (event) => queue.push(event.data.id, event.data.job);
