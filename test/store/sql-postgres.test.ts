import { startPostgres } from '../helpers/db-servers.js';
import { runSqlStoreSuite } from './sql-store-suite.js';

runSqlStoreSuite('postgres', () => startPostgres());
