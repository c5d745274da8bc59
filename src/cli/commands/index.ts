import type { Command } from "../cli.ts";
import { accountCreate, accountList, accountShow } from "./account.command.ts";
import { migrate } from "./migrate.command.ts";
import { status } from "./status.command.ts";
import { repair } from "./repair.command.ts";
import { socialCommands } from "./social.command.ts";
import { postCommands } from "./post.command.ts";
import { userCreate } from "../../user/user.command.ts";
import { backup, restore } from "./backup.command.ts";
import { accountTimeZone, stats } from "../../insights/insights.command.ts";

/** Every CLI command; feature modules add theirs here. */
export const commands: readonly Command[] = [accountCreate, accountList, accountShow, accountTimeZone, migrate, ...socialCommands, ...postCommands, userCreate, stats, status, repair, backup, restore];
