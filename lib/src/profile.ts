/**
 * The course profile sizes the work of every notebook and experiment:
 * `quick` (CI, seconds), `course` (default, a minute or two on a laptop CPU), `paper` (the reference's budget).
 */
import { ConfigError } from "./errors";

export type Profile = "quick" | "course" | "paper";

/** The profile from `LORA_PROFILE` (default `course`). */
export function profile(): Profile {
  const v = (process.env.LORA_PROFILE ?? "").trim().toLowerCase();
  if (v === "") return "course";
  if (v === "quick" || v === "course" || v === "paper") return v;
  throw new ConfigError(`LORA_PROFILE=${process.env.LORA_PROFILE} is not a profile: use quick, course or paper`);
}

/** Pick the value for the current profile: `byProfile({ quick: 200, course: 2000, paper: 5000 })`. */
export function byProfile<T>(values: Record<Profile, T>, p: Profile = profile()): T {
  return values[p];
}
