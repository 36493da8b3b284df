/**
 * Build constants (reference/subctl.md §1.1): subctl's own version, the default image tag of the
 * components it deploys, and their default repository. One source for the CLI and the agent bundle;
 * a unit test keeps VERSION equal to package.json's version.
 */
export const VERSION = '0.19.0'

/** The tag of the operator and component images when --version is not given. */
export const DEFAULT_IMAGE_VERSION = VERSION

/** The image repository when --repository is not given. */
export const DEFAULT_REPOSITORY = 'quay.io/submariner'
