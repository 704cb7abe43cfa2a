/**
 * The caller identity AWS verified for a request to the operator endpoint (a Lambda function URL with
 * AuthType AWS_IAM: Lambda checks the SigV4 signature and puts the caller in
 * `requestContext.authorizer.iam`). Pure: the handler reads the request context, this turns the ARN into
 * what configs match.
 *
 * Configs name IAM roles (`arn:aws:iam::111122223333:role/oncall-*`), the same form the bus policy's
 * aws:PrincipalArn holds; a role session arrives as an STS assumed-role ARN
 * (`arn:aws:sts::111122223333:assumed-role/oncall-alice/alice`), so it is normalized to its role ARN for
 * matching, and the session name (who assumed the role) is kept for the audit trail. STS drops the role's
 * path, so patterns for roles with a path are written without it.
 */

export interface VerifiedCaller {
  /** What authorization matches and decisions record: the role ARN of a role session, else the user/root ARN. */
  arn: string;
  /** The ARN exactly as AWS reported it (an STS session ARN for roles). */
  callerArn: string;
  account: string;
  /** STS role session name, for role sessions. */
  session?: string;
}

const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/([\w+=,.@-]{1,64})$/;
const IAM_PRINCIPAL = /^arn:(aws[a-z-]*):iam::(\d{12}):(?:root|user\/[\w+=,.@/-]{1,512})$/;

/** The verified caller, or undefined when the ARN is not one of the shapes AWS reports for IAM callers. */
export function verifiedCaller(callerArn: string): VerifiedCaller | undefined {
  const session = ASSUMED_ROLE.exec(callerArn);
  if (session) {
    const [, partition, account, role, name] = session;
    return { arn: `arn:${partition}:iam::${account}:role/${role}`, callerArn, account: account!, session: name! };
  }
  const principal = IAM_PRINCIPAL.exec(callerArn);
  if (principal) return { arn: callerArn, callerArn, account: principal[2]! };
  return undefined;
}

/** `arn:…:role/oncall-alice (session alice)`: the caller as a mode change records it. */
export function describeCaller(caller: VerifiedCaller): string {
  return caller.session ? `${caller.arn} (session ${caller.session})` : caller.arn;
}

/**
 * Whether a normalized principal ARN matches configured patterns the way IAM's StringLike matches
 * aws:PrincipalArn in the bus policy (`*` any run of characters, `?` one character, case-sensitive), so a
 * pattern admits the same principals on the bus and at the endpoint.
 */
export function principalMatches(principal: string, patterns: ReadonlyArray<string>): boolean {
  return patterns.some((pattern) => globPattern(pattern).test(principal));
}

const globs = new Map<string, RegExp>();

function globPattern(pattern: string): RegExp {
  let regex = globs.get(pattern);
  if (!regex) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    regex = new RegExp(`^${body}$`, 's');
    globs.set(pattern, regex);
  }
  return regex;
}
