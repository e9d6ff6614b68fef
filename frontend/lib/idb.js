// A small promise wrapper over IndexedDB: one database, named object stores, get/put/delete.

function promisify(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export class Db {
  /** `stores`: {name: {keyPath, indexes: [[name, keyPath]]}} created on first open. */
  static async open(name, version, stores) {
    const request = indexedDB.open(name, version);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const [store, spec] of Object.entries(stores)) {
        if (db.objectStoreNames.contains(store)) continue;
        const os = db.createObjectStore(store, spec.keyPath ? { keyPath: spec.keyPath } : undefined);
        for (const [index, keyPath] of spec.indexes || []) os.createIndex(index, keyPath);
      }
    };
    return new Db(await promisify(request));
  }

  constructor(db) {
    this.db = db;
  }

  async tx(store, mode, fn) {
    const tx = this.db.transaction(store, mode);
    const result = fn(tx.objectStore(store));
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
    });
    return result instanceof IDBRequest ? result.result : result;
  }

  get(store, key) {
    return this.tx(store, 'readonly', (os) => os.get(key));
  }

  getAll(store) {
    return this.tx(store, 'readonly', (os) => os.getAll());
  }

  /** Resolves once the write is committed, so a mark survives a closed tab from then on. */
  put(store, value, key) {
    return this.tx(store, 'readwrite', (os) => (key === undefined ? os.put(value) : os.put(value, key)));
  }

  putMany(store, values) {
    return this.tx(store, 'readwrite', (os) => { for (const v of values) os.put(v); });
  }

  delete(store, key) {
    return this.tx(store, 'readwrite', (os) => os.delete(key));
  }
}
