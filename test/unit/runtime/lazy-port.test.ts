/** loadedOnFirstUse: the port whose implementation (an SDK client's chunk) is imported on its first call. */
import { loadedOnFirstUse } from '../../../functions/runtime/lazy-port';

interface Port {
  get(name: string): Promise<string>;
  put(name: string, value: number): Promise<void>;
}

class Implementation implements Port {
  readonly puts: Array<[string, number]> = [];
  async get(name: string) {
    return `value of ${name}`;
  }
  async put(name: string, value: number) {
    this.puts.push([name, value]);
  }
}

describe('loadedOnFirstUse', () => {
  it('loads nothing until a method is called, then loads once for every call, concurrent ones included', async () => {
    const implementation = new Implementation();
    let loads = 0;
    const port = loadedOnFirstUse<Port>(
      async () => {
        loads++;
        return implementation;
      },
      { get: true, put: true },
    );
    expect(loads).toBe(0);
    const [value] = await Promise.all([port.get('a'), port.put('b', 2), port.put('c', 3)]);
    expect({ loads, value, puts: implementation.puts }).toEqual({
      loads: 1,
      value: 'value of a',
      puts: [
        ['b', 2],
        ['c', 3],
      ],
    });
  });

  it('does not remember a failed load: the next call tries again', async () => {
    let attempts = 0;
    const port = loadedOnFirstUse<Port>(
      async () => {
        attempts++;
        if (attempts === 1) throw new Error('chunk missing');
        return new Implementation();
      },
      { get: true, put: true },
    );
    await expect(port.get('a')).rejects.toThrow('chunk missing');
    await expect(port.get('a')).resolves.toBe('value of a');
    expect(attempts).toBe(2);
  });

  it("an implementation's errors reach the caller unchanged", async () => {
    const failure = new Error('ThrottlingException');
    const port = loadedOnFirstUse<Port>(
      async () => ({ get: () => Promise.reject(failure), put: async () => undefined }),
      { get: true, put: true },
    );
    await expect(port.get('a')).rejects.toBe(failure);
  });
});
