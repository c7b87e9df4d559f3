import { test } from "node:test";
import assert from "node:assert/strict";
import { profile, byProfile } from "../../../lib/src/profile";
import { ConfigError } from "../../../lib/src/errors";

test("LORA_PROFILE selects quick, course (default) or paper", () => {
  const saved = process.env.LORA_PROFILE;
  try {
    delete process.env.LORA_PROFILE;
    assert.equal(profile(), "course");
    process.env.LORA_PROFILE = "Quick";
    assert.equal(profile(), "quick");
    assert.equal(byProfile({ quick: 1, course: 2, paper: 3 }), 1);
    process.env.LORA_PROFILE = "huge";
    assert.throws(() => profile(), (e: unknown) => e instanceof ConfigError && /use quick, course or paper/.test(e.message));
  } finally {
    if (saved === undefined) delete process.env.LORA_PROFILE;
    else process.env.LORA_PROFILE = saved;
  }
});
