import { MemoryStorage } from "../../src/platform/storage.ts";
import { runStorageContract } from "../contract/storage_contract.ts";

runStorageContract(
  "MemoryStorage",
  () => Promise.resolve({ storage: new MemoryStorage(), cleanup: () => Promise.resolve() }),
);
