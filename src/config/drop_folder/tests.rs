//! Tests of the folders refused as the drop folder.

use super::*;

#[cfg(unix)]
#[test]
fn the_root_system_folders_home_and_data_directory_are_refused() {
    let home = Path::new("/home/ada");
    let data = Path::new("/home/ada/.local/share/twenty-sync");
    let refused = |path: &str| refusal(Path::new(path), Some(data), Some(home));
    for path in [
        "/",
        "/etc",
        "/etc/",
        "/usr",
        "/usr/local/share",
        "/bin",
        "/sbin",
        "/lib",
        "/lib64",
        "/libx32",
        "/var",
        "/boot",
        "/dev",
        "/proc",
        "/sys",
        "/run",
        "/tmp",
        "/tmp/..",
        "/home/ada/../../etc",
        "/etc/ssh",
    ] {
        let message = refused(path).unwrap_or_else(|| panic!("{path} accepted"));
        assert!(
            message.contains("choose a folder of its own"),
            "{path}: {message}"
        );
    }
    let message = refused("/home/ada").expect("home refused");
    assert!(message.contains("home folder"), "{message}");
    assert!(refused("/home/ada/").is_some());
    let message = refused("/home/ada/.local/share/twenty-sync").expect("data dir refused");
    assert!(
        message.contains("data directory") && message.contains("inbox"),
        "{message}"
    );
    for path in [
        "/home/ada/.local/share/twenty-sync/my-drop",
        "/home/ada/.local/share/twenty-sync/store",
        "/home/ada/.local/share/twenty-sync/inbox/../logs",
    ] {
        let message = refused(path).unwrap_or_else(|| panic!("{path} accepted"));
        assert!(
            message.contains("inside twenty-sync's data directory"),
            "{message}"
        );
    }
    for path in [
        "/home/ada/imports",
        "/home/ada/.local/share/twenty-sync/inbox",
        "/tmp/drop",
        "/var/spool/twenty-sync",
        "/srv/exports",
        "/mnt/share/crm",
    ] {
        assert_eq!(refused(path), None, "{path}");
    }
}

#[cfg(unix)]
#[test]
fn a_link_to_a_refused_folder_is_refused() {
    let root = tempfile::tempdir().expect("tempdir");
    let link = root.path().join("config");
    std::os::unix::fs::symlink("/etc", &link).expect("link");
    let message = refusal(&link, None, None).expect("refused");
    assert!(message.contains("/etc"), "{message}");
    let data = root.path().join("data");
    std::fs::create_dir_all(&data).expect("dir");
    let to_data = root.path().join("to-data");
    std::os::unix::fs::symlink(&data, &to_data).expect("link");
    assert!(refusal(&to_data, Some(&data), None).is_some());
}
