// EtcdStore on a private etcd (Debian's etcd-server), through etcd3: the
// shared kv suite.
import { Etcd3 } from 'etcd3';
import { privateEtcd } from './servers.mjs';
import { kvSuite } from './kv-suite.mjs';

/** Write `text` at `key` with the driver itself. */
async function putRaw(url, key, text) {
  const client = new Etcd3({ hosts: `http://${url.replace(/^etcd:\/\/|\?.*$/g, '')}` });
  try {
    await client.put(key).value(text);
  } finally {
    client.close();
  }
}

kvSuite('etcd', privateEtcd, putRaw);
