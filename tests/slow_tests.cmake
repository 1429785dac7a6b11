# Integration tests that take minutes: labelled "root;slow", with a longer timeout.
set_tests_properties(Images_Debootstrap.DebianImageBootsAndRunsApt
    PROPERTIES LABELS "root;slow" TIMEOUT 900)
