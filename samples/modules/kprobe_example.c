#include <linux/kprobe.h>
#include <linux/module.h>
#include <linux/init.h>

static int kprobe_handler(struct kprobe *p, struct pt_regs *regs);

static struct kprobe kp = {
    .symbol_name = "kp_target_add",  // Function to probe (kp_target_add in this case)
    .pre_handler = kprobe_handler,  // Pre-handler function when the probe is hit
};

// Pre-handler function to be invoked on each probe hit
static int kprobe_handler(struct kprobe *p, struct pt_regs *regs)
{
    printk(KERN_INFO "Kprobe triggered! Process ID: %d\n", current->pid);
    return 0;  // Continue execution of the probed function
}

static int __init kprobe_init(void)
{
    int ret;
    
    // Register the probe
    ret = register_kprobe(&kp);
    if (ret < 0) {
        printk(KERN_ALERT "Registering kprobe failed\n");
        return ret;
    }

    printk(KERN_INFO "Kprobe registered successfully\n");
    return 0;
}

static void __exit kprobe_exit(void)
{
    unregister_kprobe(&kp);
    printk(KERN_INFO "Kprobe unregistered\n");
}

module_init(kprobe_init);
module_exit(kprobe_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("Your Name");
MODULE_DESCRIPTION("Kprobe Example");
