export { createTestDatabase, type TestDatabase, type TestDatabaseOptions, testServerUrl } from './test-database';
