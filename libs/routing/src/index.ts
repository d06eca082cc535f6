export { LeastOutstandingRouter, type RoutableEndpoint } from './least-outstanding.router';
