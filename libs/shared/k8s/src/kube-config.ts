import { KubeConfig } from '@kubernetes/client-node';

/** How to reach the API server; the first option given wins. */
export interface KubeConnectionOptions {
  /** An explicit API server URL (tests use the in-process server's `http://127.0.0.1:PORT`). */
  server?: string;
  /** Bearer token to send with `server`. */
  token?: string;
  /** A kubeconfig file. */
  kubeconfigPath?: string;
  /** Context to use from the kubeconfig file (default: its current context). */
  context?: string;
  /** Use the pod's service account (KUBERNETES_SERVICE_HOST and the mounted token). */
  inCluster?: boolean;
}

/** Builds a KubeConfig from explicit settings, in-cluster credentials, a file, or the default locations. */
export function createKubeConfig(options: KubeConnectionOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  if (options.server) {
    kc.loadFromOptions({
      clusters: [{ name: 'lemur', server: options.server, skipTLSVerify: options.server.startsWith('http:') }],
      users: [{ name: 'lemur', ...(options.token ? { token: options.token } : {}) }],
      contexts: [{ name: 'lemur', cluster: 'lemur', user: 'lemur' }],
      currentContext: 'lemur',
    });
  } else if (options.kubeconfigPath) {
    kc.loadFromFile(options.kubeconfigPath);
    if (options.context) kc.setCurrentContext(options.context);
  } else if (options.inCluster) {
    kc.loadFromCluster();
  } else {
    kc.loadFromDefault();
  }
  return kc;
}
