/**
 * Image references as users write them. Engines report some images under a longer name than
 * the one in the stack file: dockerd keeps what was asked, but Podman reports an image it
 * loaded or built without a registry as `localhost/NAME:TAG`, and one built through the
 * Docker-compatible API as `docker.io/NAME:TAG` (checked on podman 4.3.1).
 */

/**
 * The short form of image reference `ref` for display, the way the Docker CLI shows
 * images: `docker.io/library/redis:7` -> `redis:7`, `docker.io/me/app:1` -> `me/app:1`, and
 * Podman's `localhost/stack-test/busybox:latest` -> `stack-test/busybox:latest`. Any other
 * registry (`localhost:5000/app`, `ghcr.io/x/y`) and digests are kept.
 */
export function familiarImageName(ref: string): string {
  for (const prefix of ["docker.io/library/", "docker.io/", "localhost/"]) {
    if (ref.startsWith(prefix) && ref.length > prefix.length) return ref.slice(prefix.length);
  }
  return ref;
}
