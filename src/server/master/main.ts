/** Entry point of a master process: `node dist/src/server/master/main.js [-Dkey=value ...]`. */
import { runServer } from '../main.js';
import { AlluxioMaster } from './master.js';

runServer('AlluxioMaster', (conf, log) => new AlluxioMaster(conf, log));
