// The lifetime rules of every vkshare object (core/resource.ts), without a driver: children are
// disposed before their parent, once; an object kept (memory JavaScript may still read, GPU work
// that cannot finish) is left undestroyed with its parents, each with one warning.
import { assertEquals, assertStringIncludes } from "@std/assert";
import { Resource } from "../../core/resource.ts";
import { test, warnings } from "../_harness.ts";

const log: string[] = [];

class Obj extends Resource {
  readonly label: string;
  readonly keepInDestroy: string | undefined;
  constructor(label: string, parent?: Obj, keepInDestroy?: string) {
    super();
    this.label = label;
    this.keepInDestroy = keepInDestroy;
    this.adopt(parent);
  }
  /** Keeps it (as a mapping whose view was transferred away does). */
  hold(why: string): void {
    this.keep(why);
  }
  protected destroy(): void {
    if (this.keepInDestroy) return this.keep(this.keepInDestroy);
    log.push(`destroy ${this.label}`);
  }
}

test("children are destroyed newest first, then their parent, once", () => {
  log.length = 0;
  const root = new Obj("root");
  new Obj("a", root), new Obj("b", root);
  assertEquals(warnings(() => (root[Symbol.dispose](), root[Symbol.dispose]())), []);
  assertEquals(log, ["destroy b", "destroy a", "destroy root"]);
});

test("a kept object is left undestroyed with every parent, each warned of once; siblings go", () => {
  log.length = 0;
  const root = new Obj("root");
  const mid = new Obj("mid", root);
  const kept = new Obj("kept", mid);
  new Obj("sibling", mid);
  kept.hold("a view was transferred");
  const said = warnings(() => root[Symbol.dispose]());
  assertEquals(log, ["destroy sibling"]);
  assertEquals(said, [
    "vkshare: kept was left undestroyed: a view was transferred",
    "vkshare: mid was left undestroyed: a view was transferred",
    "vkshare: root was left undestroyed: a view was transferred",
  ]);
});

test("an object that finds a reason to stay in its destroy is warned of, and keeps its parents", () => {
  log.length = 0;
  const root = new Obj("root");
  const child = new Obj("child", root, "GPU work did not finish");
  const said = warnings(() => child[Symbol.dispose]());
  assertEquals(said.length, 1);
  assertStringIncludes(said[0], "child was left undestroyed: GPU work did not finish");
  assertEquals(warnings(() => root[Symbol.dispose]()).length, 1);
  assertEquals(log, []);
});
