/** Entry point of a worker process: `node dist/src/server/worker/main.js [-Dkey=value ...]`. */
import { runServer } from '../main.js';
import { AlluxioWorker } from './worker.js';

runServer('AlluxioWorker', (conf, log) => new AlluxioWorker(conf, log), 'WORKER_LOGGER');
