/**
 * Reads each service's `(streampath.role)` and `(streampath.depends_on)`
 * options and checks DESIGN.md's rules of who may depend on whom.
 */
import type { LoadedFile } from "./load.js";
import type { Role, SchemaModel, Service } from "./model.js";
import type { OptionSite, Position } from "./positions.js";

type Report = (file: string, at: Position, rule: string, message: string) => void;

const ROLE_VALUES: Record<string, Role> = { HOST: "host", READ: "read", WRITE: "write", VIEW: "view" };

/** Which roles a service of each role may depend on. */
export const ALLOWED_DEPENDENCIES: Record<Role, readonly Role[]> = {
  view: ["view", "read", "write"],
  write: ["read", "write", "host"],
  read: ["read", "host"],
  host: ["host"],
};

const OPTIONS_FILE = "streampath/options.proto";

function unquote(text: string): string {
  return text.replace(/^["']|["']$/g, "");
}

/** Fills in roles and dependencies on the model's services, reporting every broken rule. */
export function checkRoles(
  model: SchemaModel,
  files: Map<string, LoadedFile>,
  report: Report,
  strictRoles: boolean,
): void {
  const sites = new Map<Service, OptionSite[]>();
  for (const service of model.services.values()) {
    const file = files.get(service.file);
    const options = (file?.positions?.options.get(service.fullName) ?? []).filter((o) => o.name.startsWith("(streampath."));
    sites.set(service, options);
    const show = file?.displayPath ?? service.file;
    if (options.length > 0 && file && !file.imports.includes(OPTIONS_FILE)) {
      report(show, options[0].at, "missing-import", `service ${service.fullName} uses streampath options without import "${OPTIONS_FILE}"`);
    }
    for (const option of options) {
      const value = option.value ? unquote(option.value.text) : "";
      const where = option.value ?? option.at;
      if (option.name === "(streampath.role)") {
        const role = option.value?.kind === "word" ? ROLE_VALUES[value] : undefined;
        if (!role) {
          report(show, where, "invalid-role", `role ${option.value?.text ?? "(none)"} of service ${service.fullName} is none of HOST, READ, WRITE, VIEW (an enum value, unquoted)`);
        } else if (service.roleDeclared) {
          report(show, option.at, "invalid-role", `service ${service.fullName} declares its role twice`);
        } else {
          service.role = role;
          service.roleDeclared = true;
        }
      } else if (option.name === "(streampath.depends_on)") {
        service.dependencies.push({
          service: value.replace(/^\./, ""),
          position: { file: show, line: where.line, column: where.column },
        });
      } else {
        report(show, option.at, "unknown-option", `unknown option ${option.name} on service ${service.fullName} (known: (streampath.role), (streampath.depends_on))`);
      }
    }
    if (strictRoles && !service.roleDeclared && file?.requested) {
      report(show, service.position, "missing-role", `service ${service.fullName} has no (streampath.role) option (required by --strict-roles)`);
    }
  }
  for (const service of model.services.values()) {
    const seen = new Set<string>();
    for (const dep of service.dependencies) {
      const target = model.services.get(dep.service);
      if (seen.has(dep.service)) {
        report(dep.position.file, dep.position, "duplicate-dependency", `service ${service.fullName} lists ${dep.service} twice`);
      }
      seen.add(dep.service);
      if (!target) {
        report(dep.position.file, dep.position, "unknown-dependency", `service ${service.fullName} depends on unknown service "${dep.service}" (use its full name, package included)`);
        continue;
      }
      const imports = files.get(service.file)?.imports ?? [];
      if (target.file !== service.file && !imports.includes(target.file)) {
        report(dep.position.file, dep.position, "missing-import", `service ${dep.service} is declared in "${target.file}", which ${service.file} does not import`);
      }
      if (target === service) {
        report(dep.position.file, dep.position, "role-dependency", `service ${service.fullName} depends on itself`);
        continue;
      }
      const allowed = ALLOWED_DEPENDENCIES[service.role];
      if (!allowed.includes(target.role)) {
        report(
          dep.position.file,
          dep.position,
          "role-dependency",
          `${service.role} service ${service.fullName} may not depend on ${target.role} service ${target.fullName} (a ${service.role} service may depend on: ${allowed.join(", ")})`,
        );
      }
    }
  }
}
