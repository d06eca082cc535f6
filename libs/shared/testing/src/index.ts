export { createTestDatabase, type TestDatabase, type TestDatabaseOptions, testServerUrl } from './test-database';
export { startSimulatorProcess, type SimulatorProcess } from './simulator-process';
