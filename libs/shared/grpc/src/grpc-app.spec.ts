import { describe, expect, it } from 'vitest';
import { listenHostOf } from './grpc-app';

describe('listenHostOf', () => {
  it.each([
    ['127.0.0.1:50051', '127.0.0.1'],
    ['0.0.0.0:50051', '0.0.0.0'],
    ['[::]:50051', '::'],
    ['[::1]:7000', '::1'],
    ['localhost:1', 'localhost'],
    ['unix:/tmp/socket', '127.0.0.1'],
  ])('listens beside %s on %s', (url, host) => {
    expect(listenHostOf(url)).toBe(host);
  });
});
