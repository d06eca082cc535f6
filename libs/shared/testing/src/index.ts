export { createTestDatabase, type TestDatabase, type TestDatabaseOptions, testServerUrl } from './test-database';
export { freePort, startSimulatorProcess, type SimulatorProcess } from './simulator-process';
