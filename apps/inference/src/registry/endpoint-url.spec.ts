import { describe, expect, it } from 'vitest';
import { endpointUrlProblem, redactEndpoint } from './endpoint-url';

describe('endpointUrlProblem', () => {
  it.each(['http://10.0.0.5:8000', 'https://api.example.com/v1', 'http://[fd00::1]:8000/', 'HTTPS://Host.Example:8443/openai/v1'])(
    'accepts %s',
    (url) => expect(endpointUrlProblem(url)).toBeUndefined(),
  );

  it.each([
    ['https://user:hunter2@api.example.com/v1', /username or password.*"apiKeyEnv"/],
    ['https://:hunter2@api.example.com', /username or password/],
    ['https://hunter2@api.example.com', /username or password/],
    ['https://api.example.com/v1?api-key=hunter2', /query string or fragment/],
    ['https://api.example.com/v1#hunter2', /query string or fragment/],
    ['https://api.example.com/v1?', /query string or fragment/],
    ['ftp://api.example.com', /uses ftp:\/\/; only http/],
    ['file:///etc/hunter2', /uses file:\/\/; only http/],
    ['not a url hunter2', /is not a URL/],
  ])('refuses %s without repeating it', (url, reason) => {
    const problem = endpointUrlProblem(url);
    expect(problem).toMatch(reason);
    expect(problem).not.toContain('hunter2');
  });
});

describe('redactEndpoint', () => {
  it.each([
    ['http://10.0.0.5:8000', 'http://10.0.0.5:8000'],
    ['http://10.0.0.5:8000/', 'http://10.0.0.5:8000'],
    ['https://api.example.com/openai/v1/', 'https://api.example.com/openai/v1'],
    ['https://user:hunter2@api.example.com/v1', 'https://api.example.com/v1'],
    ['https://api.example.com/v1?api-key=hunter2&x=1', 'https://api.example.com/v1'],
    ['https://api.example.com/v1#hunter2', 'https://api.example.com/v1'],
    ['http://[fd00::1]:8000', 'http://[fd00::1]:8000'],
    ['not a url hunter2', '(not a URL)'],
  ])('%s -> %s', (url, shown) => expect(redactEndpoint(url)).toBe(shown));
});
