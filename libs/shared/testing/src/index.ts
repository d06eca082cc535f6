export { createTestDatabase, type TestDatabase, type TestDatabaseOptions, testServerUrl } from './test-database';
export { freePort } from '@lemur/shared-config';
export { startSimulatorProcess, type SimulatorProcess } from './simulator-process';
export * from './kube-apiserver';
export { createTestMysql, type TestMysql } from './test-mysql';
export { type KubeTool, kubeToolPath } from './kube-tools';
export { bindLoopback } from './grpc-loopback';
