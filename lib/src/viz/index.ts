export * from "./display";
export * from "./chart";
export * from "./table";
export * from "./specs";
export * from "./progress";
export * from "./checks";
export * from "./frame";
export * from "./paper-overlay";
