import type { Command } from "../cli.ts";
import { accountCreate, accountList, accountShow } from "./account.command.ts";
import { migrate } from "./migrate.command.ts";

/** Every CLI command; feature modules add theirs here. */
export const commands: readonly Command[] = [accountCreate, accountList, accountShow, migrate];
